/* main.c — runs every unit-test group; the exit status counts failed tests. */
#include "unit.h"

int main(void)
{
    int failed = 0;
    tl_nonce_take();
    failed += test_err_rng();
    failed += test_embedding();
    failed += test_head();
    failed += test_loss();
    failed += test_optim();
    failed += test_data();
    failed += test_model();
    failed += test_head_fast();
    tl_nonce_done(failed);
    return failed ? 1 : 0;
}
