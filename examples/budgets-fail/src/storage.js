import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';

const s3 = new S3Client({ region: 'us-east-1' });
export async function saveUpload(body) {
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: String(Date.now()), Body: JSON.stringify(body) }));
}
