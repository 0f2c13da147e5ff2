// placeholder
#include "market/local_market.h"
