// placeholder
#include "market/dr_settlement.h"
