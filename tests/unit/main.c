/* main.c — runs every unit-test group, then the verdict line (support.h). */
#include "unit.h"

int main(void)
{
    int failed = 0;
    failed += test_err_rng();
    failed += test_embedding();
    failed += test_head();
    failed += test_loss();
    failed += test_optim();
    failed += test_data();
    failed += test_model();
    failed += test_head_fast();
    return tl_report_done(failed);
}
