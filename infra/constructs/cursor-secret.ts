import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/**
 * The per-deployment secret the query API signs its paging cursors with (HMAC-SHA256, shared/core/query/page-cursor.ts).
 * CloudFormation generates it; only the query API function may read it (`grantRead`), once per cold start.
 */
export class CursorSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Query API: HMAC key of paging cursors (a cursor signed with another key is refused)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    NagSuppressions.addResourceSuppressions(this.secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'An HMAC key for paging cursors, not a credential to a system: rotating it only makes open cursors start again; replace the secret by hand if it may have leaked',
      },
    ]);
  }
}
