/*
 * libotagw_sample_flash.so: a sample otagw library plugin (docs/plugins.md).
 *
 * "Flashes" a device by writing the image to {target_dir}/image.bin and
 * remembers the version in {target_dir}/VERSION, where target_dir comes from
 * the device's params ({"target_dir": "/path"}). Both files are written to a
 * temporary name, fsynced and renamed, so a crash mid-flash leaves the old
 * image and version in place: what a real plugin does with an A/B slot.
 *
 * Start here for a real device: replace the file writes with the transfer to
 * the device, keep the structure (validate in start, stream in write, commit
 * or roll back in stop).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otagw_plugin.h"

#define VERSION_MAX 32

typedef struct sample_ctx {
  char dir[PATH_MAX];
  char version[VERSION_MAX + 1];
  int fd;
  uint64_t size;
  uint64_t written;
} sample_ctx;

/* The string value of "target_dir" in a JSON object. A minimal scan, enough
 * for the daemon's compact JSON; a real plugin should use a JSON parser.
 * Escapes other than \" \\ \/ are refused. Returns 0 on success. */
static int find_target_dir(const char* json, char* out, size_t out_size) {
  static const char key[] = "\"target_dir\"";
  for (const char* at = strstr(json, key); at != NULL; at = strstr(at + 1, key)) {
    const char* p = at + sizeof key - 1;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
    if (*p++ != ':') continue; /* "target_dir" was a value, not a key */
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
    if (*p++ != '"') return -1;
    size_t n = 0;
    for (; *p != '"'; ++p) {
      if (*p == '\0' || n + 1 >= out_size) return -1;
      if (*p == '\\') {
        ++p;
        if (*p != '"' && *p != '\\' && *p != '/') return -1;
      }
      out[n++] = *p;
    }
    out[n] = '\0';
    return n > 0 ? 0 : -1;
  }
  return -1;
}

static int join(char* out, size_t out_size, const char* dir, const char* name) {
  const int n = snprintf(out, out_size, "%s/%s", dir, name);
  return n > 0 && (size_t)n < out_size ? 0 : -1;
}

static int write_all(int fd, const void* data, size_t length, uint64_t offset) {
  const char* p = data;
  while (length > 0) {
    const ssize_t n = pwrite(fd, p, length, (off_t)offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    offset += (uint64_t)n;
    length -= (size_t)n;
  }
  return 0;
}

/* Durably replaces dir/name with dir/name.part: fsync, rename, fsync the dir. */
static int commit(const char* dir, const char* name, int fd) {
  char part[PATH_MAX], final[PATH_MAX];
  if (join(final, sizeof final, dir, name) != 0 || snprintf(part, sizeof part, "%s.part", final) >= (int)sizeof part) {
    return -1;
  }
  if (fsync(fd) != 0 || rename(part, final) != 0) return -1;
  const int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return -1;
  const int rc = fsync(dir_fd);
  close(dir_fd);
  return rc;
}

static int open_part(const char* dir, const char* name) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s.part", dir, name) >= (int)sizeof path) return -1;
  return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void* sample_start(const otagw_plugin_device* dev, const char* target_version, uint64_t image_size) {
  sample_ctx* ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return NULL;
  if (find_target_dir(dev->params_json, ctx->dir, sizeof ctx->dir) != 0) {
    fprintf(stderr, "sample_flash: params.target_dir is missing or not a plain string\n");
    free(ctx);
    return NULL;
  }
  if (strlen(target_version) == 0 || strlen(target_version) > VERSION_MAX) {
    fprintf(stderr, "sample_flash: bad target version '%s'\n", target_version);
    free(ctx);
    return NULL;
  }
  strcpy(ctx->version, target_version);
  if (mkdir(ctx->dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "sample_flash: mkdir %s: %s\n", ctx->dir, strerror(errno));
    free(ctx);
    return NULL;
  }
  ctx->fd = open_part(ctx->dir, "image.bin");
  if (ctx->fd < 0) {
    fprintf(stderr, "sample_flash: cannot create image in %s: %s\n", ctx->dir, strerror(errno));
    free(ctx);
    return NULL;
  }
  ctx->size = image_size;
  fprintf(stderr, "sample_flash: writing %llu bytes of %s for %s.%s to %s\n", (unsigned long long)image_size,
          target_version, dev->product_key, dev->device_name, ctx->dir);
  return ctx;
}

static int sample_write(void* opaque, const void* data, size_t length, uint64_t offset) {
  sample_ctx* ctx = opaque;
  if (offset != ctx->written || write_all(ctx->fd, data, length, offset) != 0) return -1;
  ctx->written += length;
  return 0;
}

static int commit_version(const sample_ctx* ctx) {
  const int fd = open_part(ctx->dir, "VERSION");
  if (fd < 0) return -1;
  char line[VERSION_MAX + 2];
  const int n = snprintf(line, sizeof line, "%s\n", ctx->version);
  int rc = write_all(fd, line, (size_t)n, 0);
  if (rc == 0) rc = commit(ctx->dir, "VERSION", fd);
  close(fd);
  return rc;
}

static int sample_stop(void* opaque, int success) {
  sample_ctx* ctx = opaque;
  int rc = -1;
  if (success && ctx->written == ctx->size) {
    /* The image first, then the version: VERSION never names an image that is not there. */
    rc = commit(ctx->dir, "image.bin", ctx->fd);
    if (rc == 0) rc = commit_version(ctx);
    if (rc != 0) fprintf(stderr, "sample_flash: commit in %s failed: %s\n", ctx->dir, strerror(errno));
  }
  close(ctx->fd);
  if (rc != 0) {
    char part[PATH_MAX];
    if (snprintf(part, sizeof part, "%s/image.bin.part", ctx->dir) < (int)sizeof part) unlink(part);
  }
  free(ctx);
  return rc;
}

static int sample_version(const otagw_plugin_device* dev, char* out, size_t out_size) {
  char dir[PATH_MAX], path[PATH_MAX];
  if (find_target_dir(dev->params_json, dir, sizeof dir) != 0 || join(path, sizeof path, dir, "VERSION") != 0) {
    return -1;
  }
  FILE* file = fopen(path, "re");
  if (file == NULL) return -1; /* never flashed: cannot tell */
  char line[64];
  const int ok = fgets(line, sizeof line, file) != NULL;
  fclose(file);
  if (!ok) return -1;
  line[strcspn(line, "\r\n")] = '\0';
  if (line[0] == '\0' || strlen(line) >= out_size) return -1;
  strcpy(out, line);
  return 0;
}

static const otagw_plugin_v1 sample_plugin = {
    .abi_version = OTAGW_PLUGIN_ABI_VERSION,
    .name = "sample_flash",
    .start = sample_start,
    .write = sample_write,
    .stop = sample_stop,
    .version = sample_version,
};

const otagw_plugin_v1* otagw_plugin_entry(void) { return &sample_plugin; }
