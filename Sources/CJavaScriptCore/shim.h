#include <JavaScriptCore/JavaScript.h>

/* JavaScriptCore exports these from JSContextRefPrivate.h, which the GTK port does not install:
   the per-call execution time limit that stops a looping user function. */
typedef bool (*JSShouldTerminateCallback)(JSContextRef ctx, void *context);
JS_EXPORT void JSContextGroupSetExecutionTimeLimit(JSContextGroupRef group, double limit,
                                                   JSShouldTerminateCallback callback, void *context);
JS_EXPORT void JSContextGroupClearExecutionTimeLimit(JSContextGroupRef group);
