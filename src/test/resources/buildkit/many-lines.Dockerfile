FROM local/busybox:1
RUN for i in $(seq 1 400); do echo "line $i of the build output"; done
