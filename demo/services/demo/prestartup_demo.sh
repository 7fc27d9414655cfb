#!/bin/bash
# Runs when a demo instance starts, after the base image's own scripts.
echo "[INFO] Hello from the demo service: this is ${SERVICE}-${INSTANCE} (EXAMPLE_ENV_VAR=${EXAMPLE_ENV_VAR:-unset})"
