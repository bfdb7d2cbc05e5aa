/* lab.h — lab 09: the grown model that symptoms.c and fixed.c start from. */
#ifndef LAB09_LAB_H
#define LAB09_LAB_H

#include "support.h"

/* The default tied model (256 tokens), grown to 260: four special tokens.
 * Nothing has run a forward since, so nothing has read through the head. */
static inline tl_model *grown_model(void)
{
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(tl_model_grow_vocab(m, 260), TL_OK);
    return m;
}

#endif
