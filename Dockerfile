# The mero node image (for docker-compose.yml; needs internet access to build).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
EXPOSE 2528
ENTRYPOINT ["node", "bin/merod.js"]
CMD ["dev", "--data", "/data", "--host", "0.0.0.0"]
