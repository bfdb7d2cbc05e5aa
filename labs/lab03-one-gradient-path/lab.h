/* lab.h — lab 03: the small tied model and the one batch that symptoms.c,
 * fixed.c and probe.c check its gradient on. */
#ifndef LAB03_LAB_H
#define LAB03_LAB_H

#include "support.h"

/* One small batch: row 0 is only fed as input, rows 5 and 9 are only targets,
 * rows 3, 7, 11 are both, the others neither. */
enum { V = TL_SMALL_V, D = TL_SMALL_D, HID = TL_SMALL_HIDDEN, B = TL_SMALL_B };
static const int ids[B] = { 3, 7, 3, 11, 0 }, targets[B] = { 7, 5, 3, 9, 11 };

/* The small tied model with O(1) weights (tl_small_config) and its
 * gradients for the batch. */
static inline tl_model *model_with_gradients(void)
{
    tl_config c = tl_small_config();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(tl_gradients(m, NULL, ids, targets, B), TL_OK);
    return m;
}

#endif
