#!/usr/bin/env bash
# Filled in when upsmon's dry-run lands: starts upsmon against the demo upsd.
exit 0
