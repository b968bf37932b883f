#include "app/commands.hpp"

namespace hpcrec::app {

int run_recommend(const Args&, const dist::Communicator&) { return 1; }  // TODO: implemented in progress

}  // namespace hpcrec::app
