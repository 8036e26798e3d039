import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import {
  FORWARDER_SERVICE,
  METRICS_NAMESPACE,
  SINK_METRIC_DIMENSION,
  type SinkMetric,
} from '../../shared/core/contracts/metrics.ts';
import { SECRET_SINK_KINDS, type SinkSpec } from '../../shared/core/streams/sinks.ts';
import type { AuditFunction } from './audit-function.ts';
import type { EventDatabase } from './event-database.ts';
import type { Migrations } from './migrations.ts';
import { minuteRound } from './minute-round.ts';

export interface SinkForwarderProps {
  envName: string;
  database: EventDatabase;
  migrations: Migrations;
  sinks: readonly SinkSpec[];
}

/**
 * Streams the sealed log to the configured sinks (docs/sinks.md): every minute one invocation runs a round per sink
 * as `audit_forwarder`, reserved concurrency 1, beside each sink's advisory lock. Each splunk and webhook sink gets a
 * Secrets Manager secret the function alone may read (`grantRead`): generated for a webhook's HMAC key, to be
 * replaced by the HEC token for Splunk. The function runs in the database's isolated subnets: a sink must be
 * reachable from them (a collector in the VPC, a VPC endpoint or PrivateLink service, peering); no NAT is added.
 */
export class SinkForwarder extends Construct {
  // A round for every sink each minute (minuteRound): the log is sealed every minute, so a sink is about two behind.
  readonly fn: AuditFunction;
  readonly schedule: events.Rule;
  readonly secrets: Record<string, secretsmanager.Secret> = {};

  constructor(scope: Construct, id: string, props: SinkForwarderProps) {
    super(scope, id);
    const { database, sinks } = props;
    for (const sink of sinks.filter((s) => SECRET_SINK_KINDS.includes(s.kind))) {
      const secret = new secretsmanager.Secret(this, `Secret-${sink.name}`, {
        description:
          sink.kind === 'splunk'
            ? `Sink ${sink.name}: the Splunk HEC token (put it in: aws secretsmanager put-secret-value)`
            : `Sink ${sink.name}: the webhook's HMAC-SHA256 key (give it to the receiver)`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      NagSuppressions.addResourceSuppressions(secret, [
        {
          id: 'AwsSolutions-SMG4',
          reason:
            "A key shared with a system outside this account (the SIEM's HEC token, the webhook receiver's key): it is rotated by hand with that system, not by a rotation function",
        },
      ]);
      this.secrets[sink.name] = secret;
    }
    ({ fn: this.fn, schedule: this.schedule } = minuteRound(this, {
      service: FORWARDER_SERVICE,
      description: 'Streams the sealed event log to the configured sinks, every minute',
      ruleDescription: 'Streams the sealed event log to the sinks',
      database,
      // The cursor tables and the forwarder's login come with the migrations; the cursor stays where the sinks left
      // it, so the next minute's round takes up from there.
      login: LOGIN_USERS.forwarder,
      migrations: props.migrations,
      environment: {
        LOG_ID: `fleet-audit-${props.envName}`,
        SINKS: sinks.map((s) => `${s.kind}:${s.name}=${s.url}`).join(','),
        SINK_SECRET_ARNS: JSON.stringify(
          Object.fromEntries(Object.entries(this.secrets).map(([name, secret]) => [name, secret.secretArn])),
        ),
      },
    }));
    for (const secret of Object.values(this.secrets)) secret.grantRead(this.fn);
  }

  /** One of a sink's metrics (SINK_METRICS), on its `sink` dimension. */
  metric(name: SinkMetric, sink: string, period: Duration, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SINK_METRIC_DIMENSION]: sink },
      statistic,
      period,
    });
  }
}
