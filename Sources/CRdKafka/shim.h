#include <librdkafka/rdkafka.h>
#include <string.h>

/* rd_kafka_producev is variadic (not callable from Swift): a fixed-argument wrapper. The payload
   and key are copied; timestamp 0 lets librdkafka stamp the record. `headers` may be NULL; when
   the call succeeds librdkafka owns them. */
static inline rd_kafka_resp_err_t saql_rd_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                                  const void *value, size_t value_len,
                                                  const void *key, size_t key_len, int64_t timestamp_ms,
                                                  rd_kafka_headers_t *headers) {
    if (headers)
        return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE((void *)value, value_len),
                                 RD_KAFKA_V_KEY(key, key_len),
                                 RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_KEY(key, key_len),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
}

#include <stdio.h>

/* Errors and warnings from librdkafka's threads, in saql's stderr format. librdkafka retries
   connections itself (with backoff); these lines report what happens meanwhile. */
/* Implemented in Swift (KafkaReport.swift): prints the line with secrets redacted, since
   librdkafka quotes configuration values (a password in sasl.* among them) in its messages. */
extern void saql_kafka_report(const char *line);

static void saql_rd_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)opaque;
    char line[1024];
    snprintf(line, sizeof line, "kafka %s: %s: %s (retrying)", rd_kafka_name(rk),
             rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
    saql_kafka_report(line);
}

static void saql_rd_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    if (level > 4) return;
    char line[1024];
    snprintf(line, sizeof line, "kafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
    saql_kafka_report(line);
}

static inline void saql_rd_report_errors(rd_kafka_conf_t *conf) {
    rd_kafka_conf_set_error_cb(conf, saql_rd_error_cb);
    rd_kafka_conf_set_log_cb(conf, saql_rd_log_cb);
}

/* Partition assignment with start offsets chosen by saql (restoring a checkpoint) and hand-off of
   partition state: librdkafka calls `fn(ctx, 1, partitions)` before assigning (the function may
   set each partition's offset) and `fn(ctx, 0, partitions)` before revoking, while the partitions
   are still owned (state saved there is there before another member gets them). */
typedef void (*saql_rebalance_fn)(void *ctx, int assign, rd_kafka_topic_partition_list_t *partitions);
struct saql_rebalance_ctx { saql_rebalance_fn fn; void *ctx; };

static void saql_rd_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t *partitions, void *opaque) {
    struct saql_rebalance_ctx *c = (struct saql_rebalance_ctx *)opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    int assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    if (c && c->fn) c->fn(c->ctx, assign, partitions);
    if (assign) {
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, partitions);
            if (e) rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, partitions);
        }
    } else {
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, partitions);
            if (e) rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, NULL);
        }
    }
}

static inline void saql_rd_set_rebalance(rd_kafka_conf_t *conf, struct saql_rebalance_ctx *ctx) {
    rd_kafka_conf_set_opaque(conf, ctx);
    rd_kafka_conf_set_rebalance_cb(conf, saql_rd_rebalance_cb);
}
