import { Arn, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { OCSF_CLASS_KEYS, OCSF_CLASSES, type OcsfClassKey } from '../../shared/core/ocsf/classes.ts';
import { securityLakeSourceName } from '../../shared/core/ocsf/security-lake.ts';

export interface SecurityLakeSourceProps {
  /** The lake's bucket (`aws-security-data-lake-<region>-<id>`), made when Security Lake was enabled in the Region. */
  bucketName: string;
  sourcePrefix: string;
  /** What Security Lake writes into the provider role's trust policy: the trail's writer must present it. */
  externalId: string;
}

/**
 * The trail's custom sources in Amazon Security Lake, one per OCSF class (Security Lake asks for one class per
 * source). CloudFormation has no resource for a custom log source (only AwsLogSource, DataLake, Subscriber and
 * SubscriberNotification), so each is made with Security Lake's CreateCustomLogSource API through an AwsCustomResource
 * and removed with DeleteCustomLogSource. Security Lake then makes the source's Glue table and crawler and a provider
 * role, which may write the source's location and which this account may assume with the external id; the trail
 * writes through it. The crawler runs as the role made here (AWSGlueServiceRole and read/write on the source's
 * prefix, as Glue's crawler prerequisites say).
 */
export class SecurityLakeSource extends Construct {
  readonly crawlerRole: iam.Role;
  readonly bucketName: string;
  readonly sourcePrefix: string;
  /** Every source's name, one per OCSF class. */
  readonly sourceNames: string[];
  /** What the provider roles' trust policy asks the writer to present (sts:ExternalId). */
  readonly externalId: string;
  /**
   * The provider role Security Lake made for each source (CreateCustomLogSource's `source.provider.roleArn`), by
   * class key: the trail writes each class's objects through it (grantAssumeProviderRoles).
   */
  readonly providerRoleArns: Partial<Record<OcsfClassKey, string>> = {};

  constructor(scope: Construct, id: string, props: SecurityLakeSourceProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const names = OCSF_CLASS_KEYS.map((key) => ({ key, name: securityLakeSourceName(props.sourcePrefix, key) }));
    this.bucketName = props.bucketName;
    this.sourcePrefix = props.sourcePrefix;
    this.sourceNames = names.map(({ name }) => name);
    this.externalId = props.externalId;

    this.crawlerRole = new iam.Role(this, 'CrawlerRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'Glue crawler of the fleet audit trail custom sources in Security Lake',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSGlueServiceRole')],
    });
    this.crawlerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: names.map(({ name }) =>
          Arn.format(
            { service: 's3', region: '', account: '', resource: props.bucketName, resourceName: `ext/${name}/*` },
            stack,
          ),
        ),
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.crawlerRole,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason: 'Glue crawlers need AWSGlueServiceRole (or an equivalent) to write the Data Catalog, per Glue docs',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSGlueServiceRole'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'The crawler reads every object under each custom source prefix ext/<source>/ of the lake bucket',
        },
      ],
      true,
    );

    for (const { key, name } of names) {
      const ocsfClass = OCSF_CLASSES[key];
      const create: cr.AwsSdkCall = {
        service: 'SecurityLake',
        action: 'createCustomLogSource',
        parameters: {
          sourceName: name,
          eventClasses: [ocsfClass.securityLakeClass],
          configuration: {
            crawlerConfiguration: { roleArn: this.crawlerRole.roleArn },
            // The principal can only be an account id or a service principal (AwsIdentity's pattern), not a role:
            // the provider role trusts this account with the external id, and only a role granted sts:AssumeRole on
            // it (grantAssumeProviderRoles: the maintenance function's) may assume it.
            providerIdentity: { principal: stack.account, externalId: props.externalId },
          },
        },
        physicalResourceId: cr.PhysicalResourceId.of(name),
        outputPaths: ['source.provider.roleArn', 'source.provider.location'],
      };
      const source = new cr.AwsCustomResource(this, `Source${ocsfClass.uid}`, {
        onCreate: create,
        onDelete: { service: 'SecurityLake', action: 'deleteCustomLogSource', parameters: { sourceName: name } },
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['securitylake:CreateCustomLogSource', 'securitylake:DeleteCustomLogSource'],
            resources: [Arn.format({ service: 'securitylake', resource: 'data-lake', resourceName: 'default' }, stack)],
          }),
          new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.crawlerRole.roleArn] }),
        ]),
        installLatestAwsSdk: false,
      });
      this.providerRoleArns[key] = source.getResponseField('source.provider.roleArn');
      new CfnOutput(this, `Location${ocsfClass.uid}`, {
        description: `Where the ${ocsfClass.name} objects go (Security Lake source ${name})`,
        value: source.getResponseField('source.provider.location'),
      });
    }
  }

  /**
   * What the trail's writer of OCSF objects needs (the maintenance function): sts:AssumeRole on exactly the provider
   * roles Security Lake made for these sources, nothing on the lake's bucket itself. Each role may write its source's
   * `ext/<source>/` location (Security Lake applies its policy), so the writer reaches the bucket through them only.
   */
  grantAssumeProviderRoles(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['sts:AssumeRole'],
      resourceArns: OCSF_CLASS_KEYS.map((key) => this.providerRoleArns[key]!),
    });
  }
}
