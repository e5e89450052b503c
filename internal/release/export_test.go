package release

// GCDuring is gcDuring, for the tests.
var GCDuring = gcDuring
