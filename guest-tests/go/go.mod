module gotest

go 1.19
