import type { IotRuleEvent } from '../../shared/core/ingest/iot-message.ts';

/**
 * The example invocation record of the Lambda Developer Guide ("Capturing records of Lambda asynchronous
 * invocations", awsdocs/aws-lambda-developer-guide doc_source/invocation-async.md): an event that failed three
 * processing attempts, as Lambda sends it to an on-failure destination. Its requestPayload is not an IoT rule event.
 */
export const DOCUMENTED_FAILURE_RECORD = {
  version: '1.0',
  timestamp: '2019-11-14T18:16:05.568Z',
  requestContext: {
    requestId: 'e4b46cbf-b738-xmpl-8880-a18cdf61200e',
    functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  requestPayload: {
    ORDER_IDS: [
      '9e07af03-ce31-4ff3-xmpl-36dce652cb4f',
      '637de236-e7b2-464e-xmpl-baf57f86bb53',
      'a81ddca6-2c35-45c7-xmpl-c3a03a31ed15',
    ],
  },
  responseContext: {
    statusCode: 200,
    executedVersion: '$LATEST',
    functionError: 'Unhandled',
  },
  responsePayload: {
    errorMessage: 'RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request',
  },
};

/** A device message the IoT rule handed the ingest function, in the rule SQL's shape. */
export const RULE_EVENT: IotRuleEvent = {
  payload: Buffer.from(JSON.stringify({ type: 'robot.online', entity: { type: 'robot', id: 'r-9' } })).toString(
    'base64',
  ),
  thing: 'plc-7',
  clientId: 'plc-7-conn',
  receivedAt: Date.parse('2026-04-02T08:00:00.000Z'),
};

/** The documented record around that rule event, failed as the ingest function fails when the queue is down. */
export const INGEST_FAILURE_RECORD = {
  ...DOCUMENTED_FAILURE_RECORD,
  timestamp: '2026-04-02T08:03:10.000Z',
  requestPayload: RULE_EVENT,
  responsePayload: { errorType: 'QueueSendError', errorMessage: '1 message(s) could not be queued after 5 attempt(s)' },
};
