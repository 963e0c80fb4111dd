package io.ironbell.launcher.archive;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The archive in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, S3Proxy), through AWS's
 * SDK over the JDK's HTTP client. A single PUT is atomic in S3, so a reader sees an object whole
 * or not at all. The bucket is created when it does not exist yet.
 *
 * <p>Settings: {@code archive.s3.endpoint} (empty: AWS's, for the region), {@code archive.s3.region},
 * {@code archive.s3.accessKey} and {@code archive.s3.secretKey} (empty: the SDK's default chain —
 * environment, profile, instance role), {@code archive.s3.pathStyle} (true for most non-AWS stores).
 */
final class S3Store implements ArchiveStore {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final String description;

    private S3Store(S3Client s3, String bucket, String prefix, String description) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.description = description;
    }

    static S3Store open(URI target, Map<String, String> settings) throws IOException {
        String bucket = target.getHost();
        if (bucket == null || bucket.isBlank()) {
            throw new IOException("archive.target " + target + " names no bucket (s3://BUCKET/PREFIX)");
        }
        String prefix = target.getPath() == null ? "" : target.getPath().replaceAll("^/+|/+$", "");
        String endpoint = settings.getOrDefault("archive.s3.endpoint", "");
        String accessKey = settings.getOrDefault("archive.s3.accessKey", "");
        String secretKey = settings.getOrDefault("archive.s3.secretKey", "");
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)))
                .region(Region.of(settings.getOrDefault("archive.s3.region", "us-east-1")))
                .forcePathStyle(Boolean.parseBoolean(settings.getOrDefault("archive.s3.pathStyle", "true")))
                // checksums only where S3 requires them: stores other than AWS's reject the newer trailers
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(accessKey.isBlank() ? DefaultCredentialsProvider.builder().build()
                        : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
        if (!endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint));
        }
        S3Client s3 = builder.build();
        String description = target + (endpoint.isBlank() ? "" : " at " + endpoint);
        try {
            try {
                s3.headBucket(b -> b.bucket(bucket));
            } catch (NoSuchBucketException e) {
                s3.createBucket(b -> b.bucket(bucket));
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
                s3.createBucket(b -> b.bucket(bucket));
            }
        } catch (SdkException e) {
            s3.close();
            throw new IOException("archive " + description + ": " + e.getMessage(), e);
        }
        return new S3Store(s3, bucket, prefix, description);
    }

    private String object(String key) {
        return prefix.isEmpty() ? key : prefix + "/" + key;
    }

    @Override
    public void put(String key, Path file) throws IOException {
        try {
            s3.putObject(b -> b.bucket(bucket).key(object(key)), RequestBody.fromFile(file));
        } catch (SdkException e) {
            throw new IOException("archive " + description + ": cannot store " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void get(String key, Path file) throws IOException {
        try {
            java.nio.file.Files.deleteIfExists(file);
            s3.getObject(b -> b.bucket(bucket).key(object(key)), ResponseTransformer.toFile(file));
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(description + "/" + key);
        } catch (SdkException e) {
            throw new IOException("archive " + description + ": cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list(String keyPrefix) throws IOException {
        List<String> keys = new ArrayList<>();
        int strip = prefix.isEmpty() ? 0 : prefix.length() + 1;
        try {
            // the paginator follows continuation tokens: a listing of more than 1,000 objects is whole
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(object(keyPrefix))).contents()) {
                if (!o.key().endsWith("/")) { // a "folder" marker (consoles make them, some stores list them): no object of ours
                    keys.add(o.key().substring(strip));
                }
            }
        } catch (SdkException e) {
            throw new IOException("archive " + description + ": cannot list " + keyPrefix + ": " + e.getMessage(), e);
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(object(key)));
        } catch (SdkException e) {
            throw new IOException("archive " + description + ": cannot delete " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        s3.close();
    }
}
