"""Reading what the run recorded about its work (updates sent, calls at the mocks) into what analysis judges."""
