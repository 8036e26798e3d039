import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config.ts';
import { AccessLogs } from '../constructs/access-logs.ts';
import { Archive } from '../constructs/archive.ts';
import { ArchiveQuery } from '../constructs/archive-query.ts';
import { CursorSecret } from '../constructs/cursor-secret.ts';
import { EventDatabase } from '../constructs/event-database.ts';
import { IotDataAccess } from '../constructs/iot-data-access.ts';
import { Network } from '../constructs/network.ts';

/** What holds data and must outlive redeploys: network, database, archive and its query layer. */
export class StatefulStack extends Stack {
  readonly network: Network;
  readonly database: EventDatabase;
  readonly iotData: IotDataAccess;
  readonly archive: Archive;
  readonly archiveQuery: ArchiveQuery;
  readonly cursorSecret: CursorSecret;

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
  }
}
