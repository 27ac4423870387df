// Provides std::ios_base_library_init()@@GLIBCXX_3.4.32 for libstdc++ older than GCC 13.
//
// GCC 13's <iostream> makes every object that includes it reference this symbol so that
// the new libstdc++ initialises cout/cin/... itself. libLibTorchSharp.so carries that
// reference; on Debian 12 (libstdc++ 3.4.30) nothing defines it. The build marks the
// version need weak in the copied .so and loads this library RTLD_GLOBAL beforehand, so a
// lookup of the symbol (if any) lands here. glibcxx_shim.map attaches the version node.
#include <ios>

namespace std
{
    // Same contract as GCC 13: make sure the standard streams are constructed.
    // ios_base::Init is reference counted, so one function-local instance is enough.
    __attribute__((visibility("default"))) void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}

namespace
{
    // Old-style static init: streams are ready as soon as the shim is loaded, which is
    // what GCC 13 objects expect from their libstdc++ without calling anything.
    struct Initialise
    {
        Initialise() { std::ios_base_library_init(); }
    } initialise;
}
