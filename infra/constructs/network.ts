import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/**
 * A VPC without internet access: isolated subnets in two AZs for the database, its proxy and the Lambdas that use
 * them. AWS APIs those Lambdas call are reached through interface endpoints instead of a NAT gateway:
 * - SQS: the writer sends poison messages to the dead-letter queue (polling is done by the Lambda service, outside).
 * - Secrets Manager: RDS Proxy reads the database credentials from inside the VPC.
 * - S3 (a gateway endpoint: no hourly charge): maintenance uploads archived months and reads them back.
 * - Lambda: maintenance invokes itself to continue an archival that did not fit in one invocation.
 * - KMS: the sealer signs checkpoints; the sealer, the query API and maintenance read the signing key's public half.
 * - Athena: the query API starts, polls and pages archive queries (histories continued into the archive, proofs of
 *   archived events); maintenance is given ATHENA_WORKGROUP too and would reach Athena the same way. Athena itself
 *   reads the archive and writes results in S3 outside the VPC.
 * - CloudWatch (monitoring): the query API reads the operations view's figures (GetMetricData).
 * Logs, EMF metrics and X-Ray traces are shipped by the Lambda service, so no endpoint is needed for them.
 * IoT Core's data endpoint needs a private DNS zone as well; `IotDataAccess` adds both.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: true,
    });
    // Rejected flows are the security signal; accepted ones would only add cost.
    this.vpc.addFlowLog('RejectedFlows', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.THREE_MONTHS }),
      ),
    });
    this.addInterfaceEndpoint('Sqs', ec2.InterfaceVpcEndpointAwsService.SQS);
    this.addInterfaceEndpoint('SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER);
    this.addInterfaceEndpoint('Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA);
    this.addInterfaceEndpoint('Kms', ec2.InterfaceVpcEndpointAwsService.KMS);
    this.addInterfaceEndpoint('Athena', ec2.InterfaceVpcEndpointAwsService.ATHENA);
    this.addInterfaceEndpoint('CloudWatch', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING);
    this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.isolatedSubnets],
    });
  }

  addInterfaceEndpoint(id: string, service: ec2.InterfaceVpcEndpointAwsService, privateDnsEnabled = true) {
    const endpoint = this.vpc.addInterfaceEndpoint(id, { service, subnets: this.isolatedSubnets, privateDnsEnabled });
    NagSuppressions.addResourceSuppressions(
      endpoint,
      [
        {
          id: 'CdkNagValidationFailure',
          reason: 'AwsSolutions-EC23 cannot resolve the ingress source: it is the VPC CIDR (Fn::GetAtt), not 0.0.0.0/0',
        },
      ],
      true,
    );
    return endpoint;
  }
}
