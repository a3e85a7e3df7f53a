"""`python -m harness.interception --config FILE --ready-file FILE`: the proxy-mode proxy process."""

from harness.interception.proxy import main

main()
