import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { Network } from './network.ts';

/**
 * Lets Lambdas in the isolated subnets publish on IoT Core. The account's `iot:Data-ATS` host is looked up at deploy
 * (no credentials or context needed at synth); IoT's interface endpoint does not create DNS records, so a private
 * hosted zone named after that host points it at the endpoint, as the IoT Core VPC guide prescribes.
 */
export class IotDataAccess extends Construct {
  /** `xxxxxxxx-ats.iot.<region>.amazonaws.com` */
  readonly endpointAddress: string;

  constructor(scope: Construct, id: string, props: { network: Network }) {
    super(scope, id);
    const describeEndpoint: cr.AwsSdkCall = {
      service: 'Iot',
      action: 'describeEndpoint',
      parameters: { endpointType: 'iot:Data-ATS' },
      physicalResourceId: cr.PhysicalResourceId.fromResponse('endpointAddress'),
    };
    const lookup = new cr.AwsCustomResource(this, 'DataEndpoint', {
      onCreate: describeEndpoint,
      onUpdate: describeEndpoint,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    NagSuppressions.addResourceSuppressions(
      lookup,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'iot:DescribeEndpoint has no resource-level permissions; it is the only action granted',
        },
      ],
      true,
    );
    // The custom resource's Lambda is a stack-wide singleton outside this construct.
    NagSuppressions.addResourceSuppressionsByPath(
      Stack.of(this),
      `${Stack.of(this).node.path}/AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason: 'The AwsCustomResource provider writes its logs with AWSLambdaBasicExecutionRole',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
      ],
      true,
    );
    this.endpointAddress = lookup.getResponseField('endpointAddress');

    const endpoint = props.network.addInterfaceEndpoint('IotData', ec2.InterfaceVpcEndpointAwsService.IOT_CORE, false);
    const zone = new route53.PrivateHostedZone(this, 'Zone', {
      zoneName: this.endpointAddress,
      vpc: props.network.vpc,
    });
    new route53.ARecord(this, 'ToEndpoint', {
      zone,
      target: route53.RecordTarget.fromAlias(new targets.InterfaceVpcEndpointTarget(endpoint)),
    });
  }
}
