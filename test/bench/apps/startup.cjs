// A heavy start-up of 2,000+ modules: real packages a large service or tool loads at start.
const jsdom = require('jsdom');
const babel = require('@babel/core');
const sequelize = require('sequelize');
const s3 = require('@aws-sdk/client-s3');
const mongoose = require('mongoose');
const eslint = require('eslint');
const rxjs = require('rxjs');
const typescript = require('typescript');
module.exports = { jsdom, babel, sequelize, s3, mongoose, eslint, rxjs, typescript };
