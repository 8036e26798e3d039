/** What the clients saw: which ids the trail accepted (202, PUBACK), and what else happened on the way. */
export class Ledger {
  /** Ids answered 202 (HTTP) or acknowledged (MQTT PUBACK): none of these may be lost. */
  readonly accepted = new Set<string>();
  /** Every id a good request carried, accepted or not (a request cut by a kill may be stored unanswered). */
  readonly sent = new Set<string>();
  /** Ids carried by bad inputs (valid events mixed into a refused request included): none may be stored. Id → what was wrong. */
  readonly refused = new Map<string, string>();
  readonly counts = {
    http_requests: 0,
    http_503: 0,
    http_connection_errors: 0,
    /** A 5xx other than 503 + Retry-After to a good request. */
    http_5xx: 0,
    /** A good request refused (4xx): a defect of the load, or of the trail. */
    good_refused: 0,
    mqtt_messages: 0,
    /** Publishes not acknowledged (connection closed or timed out): sent again. */
    mqtt_unacked: 0,
    /** Already-accepted requests and messages sent again, identical. */
    resends: 0,
    bad_inputs: 0,
    bad_inputs_mqtt: 0,
    /** A 5xx to a bad input that was not 503 + Retry-After (backpressure or a stopping server, retried). */
    bad_inputs_5xx: 0,
    bad_inputs_503_retried: 0,
    /** A bad input answered 2xx: the trail took something it should have refused. */
    bad_inputs_2xx: 0,
  };
  /** The first few surprises, for the report (what was sent, what came back). */
  readonly samples: string[] = [];

  note(sample: string): void {
    if (this.samples.length < 10) this.samples.push(sample.slice(0, 400));
  }
}
