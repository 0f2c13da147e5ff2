// placeholder
#include "market/economic_dr.h"
