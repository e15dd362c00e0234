# Unit tests of tcsteer_netlink: the request builders against the Go
# reference bytes ($TCSTEER_GOLDEN) and the reply parsers on crafted and
# damaged messages. Pure: no sockets, no root.
tcsteer_unit_test(test_tc_msg
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tc_msg.c
  LIBS tcsteer_netlink)
tcsteer_unit_test(test_tc_reply
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tc_reply.c
  LIBS tcsteer_netlink)
tcsteer_unit_test(test_nexthop_msg
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nexthop_msg.c
  LIBS tcsteer_netlink)
