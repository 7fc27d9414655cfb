#!/bin/bash
# reyns-common: nothing to prepare but a line in the log.
echo "[INFO] reyns-common ready on ${HOSTNAME:-$(hostname)}"
