// placeholder
#include "market/brokerage.h"
