const _ = require('lodash');

function formatUser(user) {
  return _.pick(user, ['id', 'name']);
}
module.exports = { formatUser };
