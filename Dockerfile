# syntax=docker/dockerfile:1
#
# cfs-gitops images (no engine is needed to read this; CI builds it where one runs):
#   docker build --target controller -t cfs-gitops .       # the controller, and the Job step image
#   docker build --target ansible -t cfs-gitops-ansible .  # the same plus ansible-core: `ansible-<i>` steps
#
# Node.js 26 is the active LTS line (since 2026-10-28); Debian 13 (trixie) is its default base.
ARG NODE_IMAGE=node:26-trixie-slim

# ---- build: every dependency, compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schemas ./schemas
COPY src ./src
# bench/ (and test/) stay out: the image has no use for them, and tsconfig.build.json's include of
# bench matches nothing here.
RUN npm run build && chmod 0755 dist/src/cli/main.js

# ---- deps: production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- controller: the controller and the `cfs-gitops step` commands of every Job ----
FROM ${NODE_IMAGE} AS controller
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY ansible ./ansible
RUN ln -s /app/dist/src/cli/main.js /usr/local/bin/cfs-gitops
# The node image's unprivileged user, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
ENV HOME=/tmp
EXPOSE 8080
ENTRYPOINT ["cfs-gitops"]
CMD ["controller", "--help"]

# ---- ansible: the Ansible execution environment of the `ansible-<i>` steps ----
FROM controller AS ansible
USER 0:0
RUN apt-get update \
 && apt-get install -y --no-install-recommends ansible-core python3 openssh-client \
 && rm -rf /var/lib/apt/lists/*
USER 1000:1000
