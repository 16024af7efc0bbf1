// SPDX-License-Identifier: GPL-2.0
/* xfilterctl: the operator's command line for the xfilter module. */
#include <stdio.h>

#include "xfilterctl.h"

int main(int argc, char **argv)
{
	return xf_ctl_main(argc, argv, stdout, stderr, xf_xs_resolve);
}
