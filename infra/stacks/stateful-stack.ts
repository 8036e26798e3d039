import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config.ts';
import { AccessLogs } from '../constructs/access-logs.ts';
import { Archive } from '../constructs/archive.ts';
import { ArchiveQuery } from '../constructs/archive-query.ts';
import { CursorSecret } from '../constructs/cursor-secret.ts';
import { EventDatabase } from '../constructs/event-database.ts';
import { IotDataAccess } from '../constructs/iot-data-access.ts';
import { LogSigningKey } from '../constructs/log-signing-key.ts';
import { Network } from '../constructs/network.ts';
import { SecurityLakeSource } from '../constructs/security-lake-source.ts';

/** What holds data and must outlive redeploys: network, database, archive and its query layer, the log's signing key. */
export class StatefulStack extends Stack {
  readonly network: Network;
  readonly database: EventDatabase;
  readonly iotData: IotDataAccess;
  readonly archive: Archive;
  /** The custom sources in Security Lake, when `securityLake` is on. */
  readonly securityLake?: SecurityLakeSource;
  readonly archiveQuery: ArchiveQuery;
  readonly cursorSecret: CursorSecret;
  readonly signingKey: LogSigningKey;

  constructor(scope: Construct, id: string, props: StackProps & { config: DeployConfig }) {
    super(scope, id, props);
    const { config } = props;
    this.network = new Network(this, 'Network');
    this.database = new EventDatabase(this, 'Database', { network: this.network, envName: config.envName });
    this.iotData = new IotDataAccess(this, 'IotData', { network: this.network });
    // Kept across redeploys of the code path, so a deploy does not invalidate the cursors readers hold.
    this.cursorSecret = new CursorSecret(this, 'CursorSecret');

    const accessLogs = new AccessLogs(this, 'AccessLogs');
    this.archive = new Archive(this, 'Archive', {
      accessLogs,
      objectLockMode: config.objectLockMode,
      objectLockDays: config.objectLockDays,
    });
    this.archiveQuery = new ArchiveQuery(this, 'ArchiveQuery', {
      archive: this.archive,
      accessLogs,
      envName: config.envName,
      bytesScannedCutoff: config.athenaBytesScannedCutoff,
    });
    // Attach to whoever runs `trail archive query` against AWS.
    new CfnOutput(this, 'ArchiveQueryAccessPolicyArn', { value: this.archiveQuery.queryAccess.managedPolicyArn });
    // Signs every checkpoint of the event log; retained, since the checkpoints it signed are checked against it.
    this.signingKey = new LogSigningKey(this, 'LogSigningKey', { envName: config.envName });
    // What auditors fetch the public key with (`aws kms get-public-key --key-id <arn>`, README).
    new CfnOutput(this, 'LogSigningKeyArn', { value: this.signingKey.key.keyArn });
    if (config.securityLake && config.securityLakeBucket && config.securityLakeExternalId)
      this.securityLake = new SecurityLakeSource(this, 'SecurityLake', {
        bucketName: config.securityLakeBucket,
        externalId: config.securityLakeExternalId,
        sourcePrefix: config.securityLakeSourcePrefix,
      });
  }
}
