/*
 * loop_epoll.c -- the epoll backend of loop.h (level-triggered).
 */
#include "net/loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 256

static uint32_t to_epoll(unsigned ev)
{
    uint32_t e = 0;
    if (ev & LOOP_READ) e |= EPOLLIN | EPOLLRDHUP;
    if (ev & LOOP_WRITE) e |= EPOLLOUT;
    return e;
}

static int ep_init(loop *l)
{
    l->fd = epoll_create1(EPOLL_CLOEXEC);
    return l->fd < 0 ? -1 : 0;
}

static void ep_destroy(loop *l)
{
    if (l->fd >= 0) close(l->fd);
    l->fd = -1;
}

static int ep_add(loop *l, struct loop_io *h)
{
    struct epoll_event e = {.events = to_epoll(h->events), .data.ptr = h};
    return epoll_ctl(l->fd, EPOLL_CTL_ADD, h->fd, &e);
}

static int ep_mod(loop *l, struct loop_io *h)
{
    struct epoll_event e = {.events = to_epoll(h->events), .data.ptr = h};
    return epoll_ctl(l->fd, EPOLL_CTL_MOD, h->fd, &e);
}

static void ep_del(loop *l, struct loop_io *h)
{
    epoll_ctl(l->fd, EPOLL_CTL_DEL, h->fd, NULL);
}

static int ep_poll(loop *l, int timeout_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(l->fd, evs, MAX_EVENTS, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    l->now_ns = loop_monotonic_ns();
    for (int i = 0; i < n; i++) {
        struct loop_io *h = evs[i].data.ptr;
        unsigned ev = 0;
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP)) ev |= LOOP_READ;
        if (evs[i].events & EPOLLOUT) ev |= LOOP_WRITE;
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) ev |= LOOP_ERROR | LOOP_READ;
        h->fn(l, h->arg, ev);
    }
    return n;
}

const struct loop_backend loop_epoll_backend = {
    .name = "epoll",
    .init = ep_init,
    .destroy = ep_destroy,
    .add = ep_add,
    .mod = ep_mod,
    .del = ep_del,
    .poll = ep_poll,
};
