import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { FunctionNetwork } from './audit-function.ts';
import type { Network } from './network.ts';

/** Aurora PostgreSQL 17: the migrations are tested on PostgreSQL 15 and 17. */
export const ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_17_9;
const DATABASE_NAME = 'audit';
/** The owner: migrations connect as it; the writer and readers connect as it, then `SET ROLE` to a narrower role. */
const OWNER = 'audit_owner';
/** RDS Proxy always listens on the engine's default port. */
const PROXY_PORT = 5432;

/**
 * The event store: Aurora PostgreSQL Serverless v2 behind RDS Proxy. Lambdas authenticate to the proxy with IAM;
 * the proxy holds the pooled connections using the owner's secret.
 */
export class EventDatabase extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  /** Functions in this group may reach the proxy, and only they. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
  private readonly network: Network;

  constructor(scope: Construct, id: string, props: { network: Network; envName: string }) {
    super(scope, id);
    this.network = props.network;
    const { vpc, isolatedSubnets } = props.network;
    const clusterIdentifier = `fleet-audit-${props.envName}`;

    // Created before the cluster so RDS writes into a log group that expires.
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: logs.RetentionDays.THREE_MONTHS,
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      clusterIdentifier,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: ENGINE_VERSION }),
      credentials: rds.Credentials.fromGeneratedSecret(OWNER),
      defaultDatabaseName: DATABASE_NAME,
      writer: rds.ClusterInstance.serverlessV2('Writer', { enablePerformanceInsights: true }),
      serverlessV2MinCapacity: 0.5,
      serverlessV2MaxCapacity: 8,
      vpc,
      vpcSubnets: isolatedSubnets,
      storageEncrypted: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      backup: { retention: Duration.days(14), preferredWindow: '02:00-03:00' },
      preferredMaintenanceWindow: 'Sun:03:30-Sun:04:30',
      iamAuthentication: true,
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      cloudwatchLogsExports: ['postgresql'],
      copyTagsToSnapshot: true,
    });
    this.cluster.node.addDependency(postgresLogs);
    this.cluster.addRotationSingleUser({ automaticallyAfter: Duration.days(30) });

    const proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc,
      description: 'RDS Proxy: reachable from database clients only',
      allowAllOutbound: false,
    });
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc,
      description: 'Lambdas that use the event database',
    });
    this.proxy = this.cluster.addProxy('Proxy', {
      // Named after its cluster: proxy names are unique per account and region, one per environment.
      dbProxyName: clusterIdentifier,
      vpc,
      vpcSubnets: isolatedSubnets,
      secrets: [this.cluster.secret!],
      iamAuth: true,
      requireTLS: true,
      securityGroups: [proxySecurityGroup],
    });
    proxySecurityGroup.addIngressRule(this.clientSecurityGroup, ec2.Port.tcp(PROXY_PORT), 'database clients');
    proxySecurityGroup.connections.allowTo(
      this.cluster,
      ec2.Port.tcp(this.cluster.clusterEndpoint.port),
      'pooled connections',
    );
  }

  /** Where a function that uses this database runs. */
  get clientNetwork(): FunctionNetwork {
    return {
      vpc: this.network.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      securityGroups: [this.clientSecurityGroup],
    };
  }

  /**
   * Lets a function (placed in `clientNetwork`) connect through the proxy with an IAM token, and tells it where:
   * `DB_ROLE` is the role it switches to after connecting (none: it stays the owner, as migrations must).
   */
  addClient(fn: lambda.Function, options: { role?: string } = {}): void {
    this.proxy.grantConnect(fn, OWNER);
    fn.addEnvironment('DB_HOST', this.proxy.endpoint);
    fn.addEnvironment('DB_PORT', String(PROXY_PORT));
    fn.addEnvironment('DB_NAME', DATABASE_NAME);
    fn.addEnvironment('DB_USER', OWNER);
    fn.addEnvironment('DB_IAM_AUTH', 'true');
    if (options.role) fn.addEnvironment('DB_ROLE', options.role);
  }
}
