import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LOGIN_USERS, type LoginUser } from '../../shared/core/contracts/database-users.ts';
import type { FunctionNetwork } from './audit-function.ts';
import type { Network } from './network.ts';

/** Aurora PostgreSQL 17: the migrations are tested on PostgreSQL 15 and 17. */
export const ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_17_9;
const DATABASE_NAME = 'audit';
/** The owner (the cluster's master user): only the migrate and maintenance functions log in as it. */
export const OWNER = 'audit_owner';
/** Who a function logs in as: the owner, or one of the login users the migrations make (migration 006). */
export type DatabaseUser = typeof OWNER | LoginUser;
/** Secrets Manager rotates every database password this often (the owner's and the login users'). */
const ROTATE_AFTER = Duration.days(30);
/** RDS Proxy always listens on the engine's default port. */
const PROXY_PORT = 5432;

/**
 * The event store: Aurora PostgreSQL Serverless v2 behind RDS Proxy. Lambdas authenticate to the proxy with IAM, each
 * as its own database user (`rds-db:connect` for that user only); the proxy logs in with that user's secret. The
 * writer and the query API never hold the owner's credentials, so neither can become it.
 */
export class EventDatabase extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  /** The login users' secrets: username and a generated password, set in the database by the migrate function. */
  readonly loginSecrets: Record<LoginUser, secretsmanager.ISecret>;
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
    this.cluster.addRotationSingleUser({ automaticallyAfter: ROTATE_AFTER });
    this.loginSecrets = {
      [LOGIN_USERS.writer]: this.addLoginSecret('WriterSecret', LOGIN_USERS.writer),
      [LOGIN_USERS.reader]: this.addLoginSecret('ReaderSecret', LOGIN_USERS.reader),
      [LOGIN_USERS.sealer]: this.addLoginSecret('SealerSecret', LOGIN_USERS.sealer),
      [LOGIN_USERS.forwarder]: this.addLoginSecret('ForwarderSecret', LOGIN_USERS.forwarder),
    };

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
      secrets: [this.cluster.secret!, ...Object.values(this.loginSecrets)],
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
   * Lets a function (placed in `clientNetwork`) connect through the proxy with an IAM token as `user`, and only as
   * that user, and tells it where.
   */
  addClient(fn: lambda.Function, user: DatabaseUser): void {
    this.proxy.grantConnect(fn, user);
    fn.addEnvironment('DB_HOST', this.proxy.endpoint);
    fn.addEnvironment('DB_PORT', String(PROXY_PORT));
    fn.addEnvironment('DB_NAME', DATABASE_NAME);
    fn.addEnvironment('DB_USER', user);
    fn.addEnvironment('DB_IAM_AUTH', 'true');
  }

  /** Lets the migrate function read the login users' passwords (`DB_LOGIN_SECRETS`) to set them in the database. */
  grantSetLoginPasswords(fn: lambda.Function): void {
    for (const secret of Object.values(this.loginSecrets)) secret.grantRead(fn);
    fn.addEnvironment(
      'DB_LOGIN_SECRETS',
      Stack.of(this).toJsonString(
        Object.fromEntries(Object.entries(this.loginSecrets).map(([user, secret]) => [user, secret.secretArn])),
      ),
    );
  }

  /**
   * A login user's secret, in the shape RDS Proxy and the rotation function expect (attached to the cluster: host,
   * port, engine). Rotated as the master's is: the single-user rotation logs in as the user and changes its own
   * password, which any login role may do.
   */
  private addLoginSecret(id: string, username: LoginUser): secretsmanager.ISecret {
    const secret = new rds.DatabaseSecret(this, id, { username }).attach(this.cluster);
    new secretsmanager.SecretRotation(this, `${id}Rotation`, {
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret,
      target: this.cluster,
      vpc: this.network.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      automaticallyAfter: ROTATE_AFTER,
    });
    return secret;
  }
}
