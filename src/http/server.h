/* server.h — `relais serve`: load the config, bind the listeners, run the
 * workers and the control thread until SIGTERM/SIGINT has drained them. */
#ifndef RL_HTTP_SERVER_H
#define RL_HTTP_SERVER_H

/* Runs the gateway on `config_path`. Returns the process exit code: 0 after
 * a clean shutdown, 1 when the config is invalid or a listener cannot be
 * bound, 2 when production rules refuse the config. */
int rl_server_run(const char *config_path);

#endif
