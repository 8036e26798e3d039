import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/core/contracts/metrics.ts';
import { bundlingOptions, FUNCTION_RUNTIME, type NativePackages } from './bundling.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Where a function that talks to the database runs: the isolated subnets, behind the database's client group. */
export interface FunctionNetwork {
  vpc: ec2.IVpc;
  vpcSubnets: ec2.SubnetSelection;
  securityGroups: ec2.ISecurityGroup[];
}

export interface AuditFunctionProps
  extends Pick<
    NodejsFunctionProps,
    'architecture' | 'ephemeralStorageSize' | 'reservedConcurrentExecutions' | 'retryAttempts' | 'maxEventAge'
  > {
  /** The folder under `functions/` holding `handler.ts`; also the Powertools service name (the `service` metric dimension). */
  service: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  network?: FunctionNetwork;
  nativePackages?: NativePackages;
}

/** Every Lambda of the trail: ESM bundle built locally with esbuild, ARM64 (unless told), X-Ray, Powertools settings, its own log group. */
export class AuditFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: AuditFunctionProps) {
    const native = props.nativePackages;
    for (const pkg of native?.copy ?? []) {
      // Fail the synth with the reason rather than deploy a function that cannot load its binding.
      if (!existsSync(path.join(REPO_ROOT, 'node_modules', pkg)))
        throw new Error(`${props.service}: node_modules/${pkg} is missing; run npm ci on linux-x64`);
    }
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: path.join(REPO_ROOT, 'functions', props.service, 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      ephemeralStorageSize: props.ephemeralStorageSize,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      ...props.network,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: 'INFO',
        // Stack traces point at the TypeScript sources.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: bundlingOptions(native),
    });
    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'Lambda service-role policies: CloudWatch Logs writes, and (in the VPC) the ENI management Lambda needs to attach the function',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
}
