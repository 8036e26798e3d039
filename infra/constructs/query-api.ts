import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { QUERY_ROUTES } from '../../shared/core/access/policy.ts';
import { LOGIN_USERS } from '../../shared/core/contracts/database-users.ts';
import type { ArchiveQuery } from './archive-query.ts';
import { AuditFunction } from './audit-function.ts';
import type { EventDatabase } from './event-database.ts';
import type { EventQueue } from './event-queue.ts';
import type { EventsApi } from './events-api.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Writer } from './writer.ts';

/**
 * The query API: every route of shared/core/access/policy.ts on one function, reading as `audit_reader` (SELECT on events,
 * its own saved views) and putting `audit.accessed` events on the queue; it alone reads the cursor secret. It reads
 * the archive through Athena (archive jobs that continue histories, the proofs of archived events), with the rights
 * `trail archive query` has (ArchiveQuery.queryAccess), reaching Athena through the VPC's interface endpoint.
 */
export class QueryApi extends Construct {
  readonly fn: AuditFunction;

  constructor(
    scope: Construct,
    id: string,
    props: {
      api: EventsApi;
      queue: EventQueue;
      database: EventDatabase;
      cursorSecret: secretsmanager.ISecret;
      archiveQuery: ArchiveQuery;
    },
  ) {
    super(scope, id);
    this.fn = new AuditFunction(this, 'Function', {
      service: 'query-api',
      description: 'Query API: events, history, stats, exports, reports, saved views',
      // API Gateway's integration timeout is 30 s; exports and reports are the slow routes.
      timeout: Duration.seconds(29),
      // Buffered exports hold up to 5 MiB of text plus one page of rows.
      memorySize: 1024,
      network: props.database.clientNetwork,
    });
    props.database.addClient(this.fn, LOGIN_USERS.reader);
    props.queue.addProducer(this.fn);
    // GET /operations: the queues' depth; addOperations adds what it reads from CloudWatch.
    props.queue.addMonitor(this.fn);
    // Read once per cold start to sign and check paging cursors; no other function is granted it.
    props.cursorSecret.grantRead(this.fn);
    this.fn.addEnvironment('CURSOR_SECRET_ARN', props.cursorSecret.secretArn);
    // shared/apps/query-api.ts reads the archive only when both are set: without them an archived month is a 503.
    this.fn.addEnvironment('ATHENA_WORKGROUP', props.archiveQuery.workGroup.ref);
    this.fn.addEnvironment('GLUE_DATABASE', props.archiveQuery.database.ref);
    this.fn.role!.addManagedPolicy(props.archiveQuery.queryAccess);
    for (const route of QUERY_ROUTES) {
      const [method, path] = route.split(' ') as [keyof typeof apigw.HttpMethod, string];
      props.api.addRoute(apigw.HttpMethod[method], path, this.fn);
    }
  }

  /**
   * GET /operations's CloudWatch figures (shared/adapters/cloudwatch/operations-metrics.ts): the writer's name for its
   * Lambda metrics, the maintenance schedule for the next run, and cloudwatch:GetMetricData, the one read it makes
   * (the metrics namespace is every function's POWERTOOLS_METRICS_NAMESPACE). The function reaches CloudWatch through
   * the VPC's monitoring endpoint (Network).
   */
  addOperations(props: { writer: Writer; lifecycle: Lifecycle }): void {
    this.fn.addEnvironment('WRITER_FUNCTION_NAME', props.writer.fn.functionName);
    this.fn.addEnvironment('MAINTENANCE_SCHEDULE', props.lifecycle.scheduleExpression);
    const readMetrics = new iam.Policy(this, 'ReadOperationsMetrics', {
      roles: [this.fn.role!],
      statements: [new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] })],
    });
    NagSuppressions.addResourceSuppressions(readMetrics, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'cloudwatch:GetMetricData supports no resource-level permissions (Resource must be *); it is the only action, and reads metrics only',
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}
