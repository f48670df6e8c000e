// Umbrella header for the L2TP header codecs: classification, L2TPv2, L2TPv3.
#pragma once

#include "shared/l2tp/l2tpv2.hpp"
#include "shared/l2tp/l2tpv3.hpp"
#include "shared/l2tp/parse_error.hpp"
#include "shared/l2tp/peek.hpp"
