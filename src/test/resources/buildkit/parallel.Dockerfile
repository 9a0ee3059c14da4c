FROM local/busybox:1 AS left
RUN sleep 1 && echo left > /left && echo left done
FROM local/busybox:1 AS right
RUN sleep 1 && echo right > /right && echo right done
FROM local/busybox:1
COPY --from=left /left /left
COPY --from=right /right /right
RUN cat /left /right
