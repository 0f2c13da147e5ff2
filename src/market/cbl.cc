// placeholder
#include "market/cbl.h"
