/*
 * log -- one-line log records to stderr: time, level, shard, message.
 * Thread context: any thread; each record is written with one write(2).
 */
#ifndef RINGDB_UTIL_LOG_H
#define RINGDB_UTIL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Shard id shown in records from this thread (-1: main thread). */
void log_set_thread_shard(int shard_id);
/* format(printf) is a GCC/clang attribute: it lets -Wformat check every call. */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
