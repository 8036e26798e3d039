import type { SQSRecord } from 'aws-lambda';

let sequence = 0;

/** An SQS FIFO record as Lambda's event source delivers it, with a fresh message id unless one is given. */
export function sqsRecord(body: string, groupId: string, messageId = `m-${++sequence}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `r-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: groupId,
      MessageDeduplicationId: `d-${messageId}`,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:audit-events.fifo',
    awsRegion: 'local',
  };
}
