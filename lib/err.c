/* err.c — error codes and the last-error message.
 *
 * Every failure a caller can cause leaves one line naming the function and the
 * numbers involved, so a learner reads "512 columns, 256 classes", not "error 1".
 */
#include "tiedlab.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

const char *tl_strerror(tl_err err)
{
    switch (err) {
    case TL_OK:       return "ok";
    case TL_ESHAPE:   return "shape mismatch";
    case TL_ERANGE:   return "index out of range";
    case TL_EINVAL:   return "invalid argument";
    case TL_ENOMEM:   return "out of memory";
    case TL_EDUP:     return "buffer registered twice";
    case TL_ENUMERIC: return "non-finite number";
    case TL_EFORMAT:  return "not a valid checkpoint";
    case TL_EIO:      return "file input/output failed";
    }
    return "unknown error";
}

const char *tl_last_error(void)
{
    return last_error;
}

tl_err tl_fail(tl_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return err;
}
