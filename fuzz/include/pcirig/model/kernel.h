// Everything a variant's code may use, in one include.
#pragma once

#include "pcirig/model/co.h"
#include "pcirig/model/engine.h"
#include "pcirig/model/kernel_ops.h"
#include "pcirig/model/list.h"
#include "pcirig/model/locks.h"
#include "pcirig/model/pci.h"
#include "pcirig/model/sched.h"
#include "pcirig/model/variant.h"
#include "pcirig/model/wait.h"
