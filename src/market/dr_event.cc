// placeholder
#include "market/dr_event.h"
