// placeholder
#include "market/rrmse.h"
