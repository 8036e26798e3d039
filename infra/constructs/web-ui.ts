import path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

const WEB_DIR = path.resolve(import.meta.dirname, '..', '..', 'web');
/** index.html loads `/web/app.js`, `/web/styles.css`: the layout the local stack serves, kept on S3. */
const FILES_PREFIX = 'web/';

/**
 * The audit browser (`web/`, static files) on S3 behind CloudFront. The bucket is private and read by CloudFront
 * only, through Origin Access Control. The files hold no data: the UI calls the HTTP API with the user's token.
 */
export class WebUi extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Files', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // The deployment leaves its files on delete, and CloudFormation cannot delete a non-empty bucket.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudFront standard logs are delivered with ACLs, which the shared access-log bucket disables (bucket owner
    // enforced), so the distribution gets its own bucket that accepts them.
    const logs = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(400) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Fleet audit trail web UI',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        // HSTS, nosniff, frame options, referrer policy. No Content-Security-Policy: the HTML report opens from a
        // blob: URL, inherits the page's policy, and styles itself with an inline <style>.
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });

    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Fleets and auditors are in many countries; access to data is controlled by the API JWT, not by geography',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves public static files only (no data, no forms); the data is behind the throttled, JWT-protected HTTP API. WAF for CloudFront must live in us-east-1: an operator choice',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate fixes the viewer security policy at TLSv1; a custom domain with an ACM certificate is needed to require TLS 1.2 (browsers negotiate 1.2/1.3 anyway)',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason: 'Read only by CloudFront through OAC; every viewer request is in the distribution access logs',
      },
    ]);
    NagSuppressions.addResourceSuppressions(logs, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This bucket receives the CloudFront access logs; logging access to the logs bucket itself would recurse',
      },
    ]);
  }

  /** `https://<id>.cloudfront.net`: the address users open, and the only origin the API accepts from browsers. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /**
   * Publishes `web/` with a `config.json` naming the API (a different origin than the UI's here; the local stack
   * serves both from one origin and has no config.json). Each deploy replaces the files; they are cached for five
   * minutes, rather than invalidated, because the deployment's invalidation right would be on every distribution.
   */
  publish(config: { apiUrl: string }): void {
    const deployment = {
      destinationBucket: this.bucket,
      memoryLimit: 256,
      cacheControl: [s3deploy.CacheControl.setPublic(), s3deploy.CacheControl.maxAge(Duration.minutes(5))],
    };
    new s3deploy.BucketDeployment(this, 'Publish', {
      ...deployment,
      sources: [s3deploy.Source.asset(WEB_DIR), s3deploy.Source.jsonData('config.json', config)],
      destinationKeyPrefix: FILES_PREFIX,
    });
    // index.html also at the root, for the default root object. No pruning: it would delete the files under web/.
    new s3deploy.BucketDeployment(this, 'PublishRoot', {
      ...deployment,
      sources: [s3deploy.Source.asset(WEB_DIR, { exclude: ['*', '!index.html'] })],
      prune: false,
    });
    const stack = Stack.of(this);
    // The deployments' handler is a stack-wide singleton outside this construct.
    NagSuppressions.addResourceSuppressionsByPath(
      stack,
      `${stack.node.path}/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB`,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason: 'The BucketDeployment handler (part of aws-cdk-lib) writes its logs with AWSLambdaBasicExecutionRole',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The BucketDeployment handler copies every file of the web asset into the web UI bucket and replaces old ones: object-level wildcards on those two buckets',
        },
        {
          id: 'AwsSolutions-L1',
          reason: 'The BucketDeployment handler runtime is chosen by aws-cdk-lib, not by this app',
        },
      ],
      true,
    );
  }
}
