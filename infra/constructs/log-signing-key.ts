import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** How checkpoints are signed (shared/adapters/kms/kms-signer.ts): ECDSA P-256 over a SHA-256 digest computed locally. */
export const SIGNING = { algorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' } as const;

/** What key administrators may do (CDK's list for `admins`): manage the key and its policy, never sign. */
const ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/**
 * The key that signs the log's checkpoints: asymmetric ECC_NIST_P256, SIGN_VERIFY, its private half never leaves KMS.
 * Auditors verify with the public key alone (`aws kms get-public-key`, README). Kept when the stack goes: every
 * checkpoint ever signed is checked against it. KMS cannot rotate an asymmetric key; a new key would be a new log
 * identity, so rotation is not enabled (cdk-nag's KMS5 applies to symmetric keys only).
 *
 * The key policy lets the account's IAM manage the key and read its public key, and lets exactly one role sign: the
 * one named `signerRoleName` in this account, with the algorithm and message type the sealer uses. The sealer lives in
 * the stateless stack, deployed after this one, so the policy names its role by name rather than by reference.
 */
export class LogSigningKey extends Construct {
  readonly key: kms.Key;
  readonly alias: kms.Alias;
  /** The only role that may sign (the sealer's, `grantSign`). */
  readonly signerRoleName: string;
  private signer?: lambda.Function;

  constructor(scope: Construct, id: string, props: { envName: string }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.signerRoleName = `fleet-audit-${props.envName}-sealer`;
    const account = new iam.AccountRootPrincipal();
    this.key = new kms.Key(this, 'Key', {
      description: `Fleet audit trail (${props.envName}): signs the checkpoints of the tamper-evident event log`,
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      enableKeyRotation: false,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'KeyAdministrationThroughIam',
            principals: [account],
            actions: ADMIN_ACTIONS,
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'SignCheckpointsAsTheSealerOnly',
            principals: [account],
            actions: ['kms:Sign'],
            resources: ['*'],
            conditions: {
              StringEquals: { 'kms:SigningAlgorithm': SIGNING.algorithm, 'kms:MessageType': SIGNING.messageType },
              ArnEquals: {
                'aws:PrincipalArn': stack.formatArn({
                  service: 'iam',
                  region: '',
                  resource: 'role',
                  resourceName: this.signerRoleName,
                }),
              },
            },
          }),
        ],
      }),
    });
    this.alias = this.key.addAlias(`alias/fleet-audit-${props.envName}-log-signing`);
  }

  /**
   * Lets the sealer sign (kms:Sign on this key, in the one form the key policy allows) and tells it which key
   * (`SIGNING_KEY_ID`). The function's role takes the name the key policy allows, so there is one signer.
   */
  grantSign(fn: lambda.Function): void {
    if (this.signer)
      throw new Error(`${this.node.path}: only one function signs checkpoints (${this.signer.node.path})`);
    this.signer = fn;
    const role = fn.role?.node.defaultChild;
    if (!(role instanceof iam.CfnRole)) throw new Error(`${fn.node.path}: the signer needs the role its function made`);
    role.roleName = this.signerRoleName;
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['kms:Sign'],
      resourceArns: [this.key.keyArn],
      conditions: {
        StringEquals: { 'kms:SigningAlgorithm': SIGNING.algorithm, 'kms:MessageType': SIGNING.messageType },
      },
    });
    this.grantPublicKey(fn);
  }

  /** Lets a function read the public key (to verify checkpoints, or to hand it out) and tells it which key. */
  grantPublicKey(fn: lambda.Function): void {
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['kms:GetPublicKey'], resourceArns: [this.key.keyArn] });
    fn.addEnvironment('SIGNING_KEY_ID', this.key.keyArn);
  }
}
